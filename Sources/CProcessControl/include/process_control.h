// Process controls Swift cannot call directly (prctl is variadic in C).
#ifndef SWITCHBOARD_PROCESS_CONTROL_H
#define SWITCHBOARD_PROCESS_CONTROL_H

/// Marks the process non-dumpable (no core dumps, no ptrace by other processes of the same
/// user): its memory holds patient data. Returns 0 on success, -1 with errno set otherwise;
/// a no-op returning 0 where prctl does not exist.
int switchboard_disable_dumpable(void);

/// 1 when the process is dumpable, 0 when not, -1 where unknown.
int switchboard_is_dumpable(void);

#endif
