"""The WebSocket interface: the live progress of a job, served through Channels."""
