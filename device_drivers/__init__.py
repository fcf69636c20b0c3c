"""Device drivers: one small Protocol per device, with real and simulated implementations."""
