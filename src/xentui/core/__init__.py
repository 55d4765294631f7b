"""The domain core: the fact model, the fact rules, the configuration."""
