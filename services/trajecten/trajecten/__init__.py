"""Trajecten: integration trajectories for newcomers, organisation trajectories and trainings."""
