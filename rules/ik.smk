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
