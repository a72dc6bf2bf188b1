# Evaluation stage (owner: eval). Per subject: deterministic rollouts -> metrics.json/metrics.csv,
# MP4s with the reference ghost, gait-lab plots; then summary.csv over all subjects. Every file meant
# for people is registered with report(): category = subject, subcategory = stage.
# Library entries, one module per rule (an edit reruns only its rule): gaitmimic.evaluate.stage (evaluate),
# gaitmimic.evaluate.video (eval_video), gaitmimic.evaluate.plots (eval_plots), gaitmimic.evaluate.summary (summary).

rule evaluate:
    input:
        humanoid=res("{subject}", "reference", "humanoid.xml"),
        references=subject_references,
        # The policy bundle (gaitmimic.io.policy.read_policy reads all four; the task settings come from train_info).
        policy=res("{subject}", "policy", "model.zip"),
        vecnormalize=res("{subject}", "policy", "vecnormalize.pkl"),
        train_info=res("{subject}", "policy", "train_info.json"),
        progress=res("{subject}", "policy", "progress.csv"),
    output:
        metrics=res("{subject}", "eval", "metrics.json"),
        rollouts=res("{subject}", "eval", "rollouts.npz"),
        table=res("{subject}", "eval", "metrics.csv"),
        table_html=report(
            res("{subject}", "eval", "metrics.html"),
            caption="../report/metrics.rst",
            category="{subject}",
            subcategory="evaluate",
            labels={"subject": "{subject}", "item": "metrics table"},
        ),
    params:
        evaluate=config["evaluate"],
        code=code_version("evaluate.py"),
    log:
        res("{subject}", "logs", "evaluate", "evaluate.log"),
    benchmark:
        res("{subject}", "benchmarks", "evaluate.tsv")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    script:
        "../workflow_scripts/evaluate.py"


rule eval_video:
    input:
        humanoid=res("{subject}", "reference", "humanoid.xml"),
        rollouts=res("{subject}", "eval", "rollouts.npz"),
        metrics=res("{subject}", "eval", "metrics.json"),
    output:
        # One job films every rollout in evaluate.video.rollouts (fewer, longer jobs keep the DAG small).
        videos=[
            report(
                res("{subject}", "eval", f"{{subject}}_{which}.mp4"),
                caption="../report/video.rst",
                category="{subject}",
                subcategory="evaluate",
                labels={"subject": "{subject}", "item": f"video file (mp4): {which}"},
            )
            for which in EVAL_FILMS
        ],
        pages=[
            report(
                res("{subject}", "eval", f"{{subject}}_{which}_video.html"),
                caption="../report/video.rst",
                category="{subject}",
                subcategory="evaluate",
                labels={"subject": "{subject}", "item": f"video: {which}"},
            )
            for which in EVAL_FILMS
        ],
    params:
        evaluate=config["evaluate"],
        films=EVAL_FILMS,
        code=code_version("eval_video.py"),
    log:
        res("{subject}", "logs", "evaluate", "video.log"),
    benchmark:
        res("{subject}", "benchmarks", "eval_video.tsv")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=40,
    script:
        "../workflow_scripts/eval_video.py"


rule eval_plots:
    # The gait-lab figures of one subject in one job: joint angles over the gait cycle, the learning
    # curve, IK marker error and gait events (every walking trial).
    input:
        references=subject_trial_references,  # the subject's own cycles: the band of the gait-cycle figure
        humanoid=res("{subject}", "reference", "humanoid.xml"),  # foot-floor contact: the one event rule
        rollouts=res("{subject}", "eval", "rollouts.npz"),
        progress=res("{subject}", "policy", "progress.csv"),
        train_info=res("{subject}", "policy", "train_info.json"),  # the training episode length
        ik_summaries=eval_ik_summaries,
        trcs=subject_walk_trcs,
        events=subject_events_csvs,
    output:
        gait=report(
            res("{subject}", "eval", "plots", "gait_cycle.png"),
            caption="../report/gait_cycle.rst",
            category="{subject}",
            subcategory="evaluate",
            labels={"subject": "{subject}", "item": "joint angles over the gait cycle"},
        ),
        gait_svg=res("{subject}", "eval", "plots", "gait_cycle.svg"),
        learning_curve=report(
            res("{subject}", "eval", "plots", "learning_curve.png"),
            caption="../report/learning_curve.rst",
            category="{subject}",
            subcategory="train",
            labels={"subject": "{subject}", "item": "learning curve"},
        ),
        ik=report(
            res("{subject}", "eval", "plots", "ik_error.png"),
            caption="../report/ik_error.rst",
            category="{subject}",
            subcategory="ik",
            labels={"subject": "{subject}", "item": "IK marker error"},
        ),
        events=report(
            res("{subject}", "eval", "plots", "events.png"),
            caption="../report/events.rst",
            category="{subject}",
            subcategory="events",
            labels={"subject": "{subject}", "item": "gait events"},
        ),
    params:
        evaluate=config["evaluate"],
        trials=lambda wildcards: dynamic_trials(wildcards.subject),
        code=code_version("eval_plots.py"),
    log:
        res("{subject}", "logs", "evaluate", "plots.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow_scripts/eval_plots.py"


rule summary:
    input:
        metrics=eval_all_metrics,
    output:
        csv=report(
            res("summary.csv"),
            caption="../report/summary.rst",
            category="Summary",
            labels={"item": "summary.csv (download)"},
        ),
        html=report(
            res("summary.html"),
            caption="../report/summary.rst",
            category="Summary",
            labels={"item": "one row per subject"},
        ),
        rst=res("summary.rst"),  # the table on the report's first page (report/workflow.rst)
    params:
        subjects=SUBJECTS,
        skipped=summary_skipped(),
        code=code_version("summary.py"),
    log:
        res("logs", "summary.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow_scripts/summary.py"
