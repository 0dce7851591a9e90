// SwitchboardDaemon: wiring.
