# Train stage (owner: rl). Per subject: PPO imitation policy on the subject's humanoid and references.
# Library: gaitmimic.train.stage.train_policy. checkpoints/ and tb/ are deliberately NOT outputs: Snakemake
# deletes outputs before rerunning a job, and a restarted job must find its checkpoints to resume.
# Code changes to the task/train modules rerun the stage through the `code` param.

rule train:
    input:
        humanoid=res("{subject}", "reference", "humanoid.xml"),
        references=subject_references,
    output:
        model=res("{subject}", "policy", "model.zip"),
        vecnormalize=res("{subject}", "policy", "vecnormalize.pkl"),
        progress=res("{subject}", "policy", "progress.csv"),
        info=res("{subject}", "policy", "train_info.json"),
    params:
        task=config["task"],
        train=config["train"],
        code=code_version("train.py"),
    log:
        res("{subject}", "logs", "train", "train.log"),
    benchmark:
        res("{subject}", "benchmarks", "train.tsv")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
        # A GPU only when asked for (train.device: cuda); PPO on this MLP is fastest on CPU.
        gpu=1 if config["train"]["device"] == "cuda" else 0,
    script:
        "../workflow_scripts/train.py"
