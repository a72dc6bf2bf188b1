"""Built-in full-body skeletal OpenSim model: de Leva anthropometry, gait2392 coordinates, Plug-in Gait markers.

Modules: ``builtin`` (:func:`~gaitmimic.opensim.model.builtin.build_model` (height_m, mass_kg, out_osim),
``build_osim_model``, ``coordinate_names``), ``anthropometry`` (de Leva 1996: ``segment_lengths``,
``segment_inertia``, ``DE_LEVA_MALE``), ``layout`` (joint/marker geometry without OpenSim: ``build_layout``),
``plugin_gait_markers`` (``PIG_MARKERS``, ``SCALE_MEASUREMENTS``, ``write_measurement_set``).
"""
