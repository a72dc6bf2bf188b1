# Inverse kinematics (owner: opensim). One job per walking trial, so trials run in parallel:
# scaled model + processed TRC -> OpenSim InverseKinematicsTool -> .mot (degrees) + quality summary.
# Library entry point: gaitmimic.opensim.stage.run_ik.


rule ik:
    input:
        model=res("{subject}", "model", "{subject}.osim"),
        trc=res("{subject}", "markers", "{trial}.trc"),
        model_files=opensim_model_files,
    output:
        mot=res("{subject}", "ik", "{trial}.mot"),
        summary=res("{subject}", "ik", "{trial}_ik_summary.json"),
    params:
        model=config["model"],
        ik=config["ik"],
        code=code_version("ik.py"),
    log:
        res("{subject}", "logs", "ik", "{trial}.log"),
    benchmark:
        res("{subject}", "benchmarks", "ik_{trial}.tsv")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    script:
        "../workflow_scripts/ik.py"


rule ik_vs_lab:
    # Our angles against the lab's own model outputs (Plug-in Gait's RHipAngles, ...) stored in the C3D,
    # per angle and over the gait cycle. Every C3D walk gets the pair; without model outputs the report
    # and the figure say so. Library entry point: gaitmimic.opensim.stage.compare_with_lab.
    input:
        raw=raw_trial_file,
        mot=res("{subject}", "ik", "{trial}.mot"),
        model=res("{subject}", "model", "{subject}.osim"),
        events=res("{subject}", "events", "{trial}.csv"),
    output:
        json=res("{subject}", "ik", "{trial}_vs_lab.json"),
        png=report(
            res("{subject}", "ik", "{trial}_vs_lab.png"),
            caption="../report/ik_vs_lab.rst",
            category="{subject}",
            subcategory="ik",
            labels={"subject": "{subject}", "item": "joint angles vs the lab's model ({trial})"},
        ),
    params:
        code=code_version("ik_vs_lab.py"),
    log:
        res("{subject}", "logs", "ik", "{trial}_vs_lab.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow_scripts/ik_vs_lab.py"
