"""Task modules: one per notebook, each exporting TASKS: list[Task]."""
