"""The wrinkle refiner: charts (the index), the residual field over them (the store) and the
few-step residual diffusion that fills it (the error corrector). One concept a module."""
