"""Rule `train`: one subject's PPO policy (gaitmimic.train.stage.train_policy), one env per thread."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "a")  # noqa: F821 (snakemake is injected); append: resumed runs keep history
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                    force=True)

from pathlib import Path  # noqa: E402

from gaitmimic import settings  # noqa: E402
from gaitmimic.train.stage import train_policy  # noqa: E402

sm = snakemake  # noqa: F821
out_dir = Path(sm.output.model).parent
train_policy(
    humanoid_xml=sm.input.humanoid,
    reference_npzs=list(sm.input.references),
    out_dir=out_dir,
    task=settings.section("task", sm.params.task),
    train=settings.section("train", sm.params.train),
    n_workers=max(int(sm.threads), 1),
    log=logging.getLogger("gaitmimic.train"),
)
