"""The simulated humanoid: dm_control's suite humanoid scaled to a subject (``humanoid``), and the one
MuJoCo scene/MP4 renderer of the project (``render``)."""
