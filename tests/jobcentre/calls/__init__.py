"""Tests of video calls (jobcentre/calls, the console and the guest page)."""
