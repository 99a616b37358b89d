"""Optional services: codecarbon energy, MLflow and Weights & Biases attachments."""
