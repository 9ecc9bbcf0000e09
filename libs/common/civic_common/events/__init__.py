"""Events: the CloudEvents envelope, the contracts and the topics they travel on."""
