# Retarget stage (owner: retarget). Per subject: the humanoid (suite humanoid, widened ranges, scaled to
# the subject's OpenSim model); per walking trial: the reference motion npz, the OpenSim joint centres and a
# QC report; then, in a job of its own (a new video size must not retrain every policy), a kinematic playback
# video with the joint centres drawn as spheres; per subject, the mean gait cycle over every walking trial.
# Library: gaitmimic.retarget.stage (retarget_humanoid, retarget), gaitmimic.retarget.playback
# (retarget_playback), gaitmimic.retarget.mean_cycle (retarget_mean_cycle).
# Code changes to the stage's modules rerun it through the `code` param (see code_version in common.smk).

rule retarget_humanoid:
    input:
        osim=res("{subject}", "model", "{subject}.osim"),
    output:
        xml=res("{subject}", "reference", "humanoid.xml"),
    params:
        # Only the settings the humanoid depends on: a new video size must not retrain every policy.
        retarget={k: config["retarget"][k] for k in ("scale_segments", "scale_masses", "joint_ranges_deg")},
        code=code_version("retarget.py"),
    log:
        res("{subject}", "logs", "retarget", "humanoid.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow_scripts/retarget.py"


rule retarget:
    input:
        osim=res("{subject}", "model", "{subject}.osim"),
        mot=res("{subject}", "ik", "{trial}.mot"),
        events=res("{subject}", "events", "{trial}.csv"),
        markers_json=res("{subject}", "markers", "{trial}_markers.json"),
        humanoid=res("{subject}", "reference", "humanoid.xml"),
    output:
        npz=res("{subject}", "reference", "{trial}.npz"),
        centres=res("{subject}", "reference", "{trial}_joint_centres.npz"),
        report=res("{subject}", "reference", "{trial}_retarget.json"),
    params:
        retarget={k: v for k, v in config["retarget"].items() if k not in ("playback_video", "mean_cycle")},
        code=code_version("retarget.py"),
    log:
        res("{subject}", "logs", "retarget", "{trial}.log"),
    benchmark:
        res("{subject}", "benchmarks", "retarget", "{trial}.tsv")
    threads: 1
    resources:
        # demo subject: 3.5 s, 330 MB (its benchmark file); the rendering moved to retarget_playback
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow_scripts/retarget.py"


rule retarget_playback:
    input:
        npz=res("{subject}", "reference", "{trial}.npz"),
        centres=res("{subject}", "reference", "{trial}_joint_centres.npz"),
        humanoid=res("{subject}", "reference", "humanoid.xml"),
    output:
        video=res("{subject}", "reference", "{trial}_playback.mp4"),
    params:
        playback_video=config["retarget"]["playback_video"],
        code=code_version("retarget_playback.py"),
    log:
        res("{subject}", "logs", "retarget", "{trial}_playback.log"),
    benchmark:
        res("{subject}", "benchmarks", "retarget", "{trial}_playback.tsv")
    threads: 1
    resources:
        # demo subject, 20 s of 320x240 video at 40 fps: 37 s, 440 MB (its benchmark file)
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow_scripts/retarget_playback.py"


rule retarget_mean_cycle:
    # The subject's mean gait cycle, exactly periodic, from every complete cycle of every walking trial
    # (what the task imitates with task.reference: mean_cycle), and its report (cycles, speed, cadence, SD).
    input:
        references=subject_trial_references,
        humanoid=res("{subject}", "reference", "humanoid.xml"),
    output:
        npz=res("{subject}", "reference", "mean_cycle.npz"),
        report=res("{subject}", "reference", "mean_cycle.json"),
    params:
        mean_cycle=config["retarget"]["mean_cycle"],
        code=code_version("retarget_mean_cycle.py"),
    log:
        res("{subject}", "logs", "retarget", "mean_cycle.log"),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../workflow_scripts/retarget_mean_cycle.py"
