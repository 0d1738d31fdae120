"""hadplanner: home hospitalisation (HAD) planning for continuous-infusion chemotherapy."""

__version__ = "0.1.0"
