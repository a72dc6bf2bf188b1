"""Rule `train`: one subject's PPO policy (gaitmimic.train.stage.train_policy), one env per thread."""

from gaitmimic.jobs import job

with job(snakemake, log_mode="a") as log:  # noqa: F821 (injected); append: resumed runs keep history
    from pathlib import Path

    from gaitmimic import settings
    from gaitmimic.train.stage import train_policy

    sm = snakemake  # noqa: F821
    out_dir = Path(sm.output.model).parent
    train_policy(
        humanoid_xml=sm.input.humanoid,
        reference_npzs=list(sm.input.references),
        out_dir=out_dir,
        task=settings.section("task", sm.params.task),
        train=settings.section("train", sm.params.train),
        n_workers=max(int(sm.threads), 1),
        log=log,
    )
