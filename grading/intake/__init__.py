"""Intake: hand-ins into the course folder, read without trusting them (``unpack``), named as the LMS
names them (``lms``), repaired against the release (``repair``), from a folder, a zip (``collect``) or
a hub's exchange (``exchange``)."""
