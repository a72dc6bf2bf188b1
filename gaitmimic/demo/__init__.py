"""Generated demo subject: gait Fourier coefficients fitted to real gait, and the C3D generator."""
