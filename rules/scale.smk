# Scale stage (owner: opensim). Per subject: processed static trial -> OpenSim ScaleTool (measurements +
# marker placement) -> scaled model + report. Library entry point: gaitmimic.opensim.stage.scale_subject.
# Code changes to the OpenSim tools or the built-in model rerun it through the `code` param.

rule scale:
    input:
        static=static_markers_trc,
        static_report=static_markers_report,
        standing=scale_standing_trc,
        model_files=opensim_model_files,
        subject_yaml=subject_yaml_or_empty,
    output:
        osim=res("{subject}", "model", "{subject}.osim"),
        report=res("{subject}", "model", "scale_report.json"),
    params:
        model=config["model"],
        scale=config["scale"],
        subject_info=opensim_subject_info,
        code=code_version("scale.py"),
    log:
        res("{subject}", "logs", "scale.log"),
    benchmark:
        res("{subject}", "benchmarks", "scale.tsv")
    threads: 1
    resources:
        mem_mb=1500,
        runtime=10,
    script:
        "../workflow_scripts/scale.py"
