"""Intake: registering newcomers and organisations at the counter."""
