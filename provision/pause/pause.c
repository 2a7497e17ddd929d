/* The pod infrastructure ("pause") container's only program, written for k8s-lab.
 *
 * Every pod's first container runs it: it holds the pod's network namespace while the pod
 * lives. It waits for signals, reaps the children that become its own (it is PID 1 in the pod
 * when the pod shares its PID namespace), and exits cleanly on SIGINT or SIGTERM, which is how
 * kubelet stops a pod. Built static on the host (provision/infra_image.py), so the image holds
 * this one file and nothing else.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void stop(int sig) {
    (void)sig;
    _exit(0);
}

static void reap(int sig) {
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void) {
    struct sigaction on_stop = {.sa_handler = stop};
    struct sigaction on_child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
    if (sigaction(SIGINT, &on_stop, NULL) < 0 || sigaction(SIGTERM, &on_stop, NULL) < 0 ||
        sigaction(SIGCHLD, &on_child, NULL) < 0) {
        return 1;
    }
    for (;;) {
        pause();
    }
}
