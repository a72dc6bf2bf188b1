"""Rule `retarget_mean_cycle`: every walking trial's reference -> the subject's mean gait cycle npz + its report
(gaitmimic.retarget.mean_cycle.write_mean_cycle)."""

from gaitmimic.jobs import job

with job(snakemake):  # noqa: F821 (snakemake is injected)
    from gaitmimic import settings
    from gaitmimic.retarget.mean_cycle import write_mean_cycle

    sm = snakemake  # noqa: F821
    cfg = settings.section("retarget", {"mean_cycle": sm.params.mean_cycle}).mean_cycle
    write_mean_cycle(list(sm.input.references), sm.input.humanoid, sm.output.npz, sm.output.report, cfg)
