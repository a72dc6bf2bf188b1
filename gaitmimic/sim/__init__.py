"""The simulated humanoid: dm_control's suite humanoid scaled to a subject (``humanoid``), the one foot-floor
contact rule (``contact``), the gait lab's segment angles read the same way off the humanoid and the subject
(``segment_angles``), and the one MuJoCo scene/MP4 renderer of the project (``render``)."""
