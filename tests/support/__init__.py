"""Helpers shared by several test folders: sample FSL, loopback services, certificates.

One copy of each, so a fix to a helper reaches every test that leans on it.
"""
