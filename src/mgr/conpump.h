/* mgr/conpump.h: a machine process's console pump: one thread that copies the guest's console output to the
 * console log (appended), to every client attached to the console socket (and to stdout when there is
 * neither), and each client's input to the guest. A client too slow to take the output loses what it could
 * not take (the guest never waits for a client); several clients may attach at once. */
#ifndef LODGE_MGR_CONPUMP_H
#define LODGE_MGR_CONPUMP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct ConPump ConPump;

/* log_path, sock_path: either may be NULL. The socket is listening when this returns (clients that connect
 * before the guest starts see its output from the start). NULL with a message. */
ConPump *conpump_new(const char *log_path, const char *sock_path, char *err, size_t errlen);
/* The guest's console (lodge_machine_console_fd): from now on the pump reads and writes it. Any thread. */
void conpump_attach(ConPump *p, int console_fd);
/* Copies what the guest wrote last, stops the thread, closes the clients and the listener, removes the
 * socket file. */
void conpump_delete(ConPump *p);

#endif
