"""Flow Guide: how apps sign in to the ERP.net platform, explained and run for real."""
