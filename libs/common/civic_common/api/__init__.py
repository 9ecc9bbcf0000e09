"""The HTTP edge shared by every service: app factory, problem details, auth, health, metrics."""
