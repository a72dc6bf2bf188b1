# Marker stage (owner: markers). One job per trial, one pass over the raw file: OpenSim-frame TRC, report,
# QC plot and gait events CSV (no rows for the static trial; force-plate events from the C3D's plates or from
# an OpenSim GRF <trial>_grf.mot beside the trial). Library entry point: gaitmimic.markers.stage.
# Code changes to the stage's modules rerun it through the `code` param (see code_version in common.smk);
# the subject.yaml keys it uses (lab_to_model_markers, treadmill, belt_speed_mps) are a param too, so editing an
# unrelated key (mass_kg) does not rerun it.

rule markers:
    input:
        raw=raw_trial_file,
        grf=grf_file_or_empty,
        tables=marker_tables,
    output:
        trc=res("{subject}", "markers", "{trial}.trc"),
        report=res("{subject}", "markers", "{trial}_markers.json"),
        events=res("{subject}", "events", "{trial}.csv"),
        qc=report(
            res("{subject}", "markers", "{trial}_qc.png"),
            category="{subject}",
            subcategory="markers",
            labels={"trial": "{trial}", "figure": "marker heights before/after filtering, events"},
        ),
    params:
        markers=config["markers"],
        events=config["events"],
        subject_info=markers_subject_info,
        is_static=is_static,
        code=code_version("markers.py"),
    log:
        res("{subject}", "logs", "markers", "{trial}.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow_scripts/markers.py"

