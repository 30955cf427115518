/* The module server's stand-in interpreter, in C (tests/support/module_server.py compiles it next to the server's
 * socket; without a C compiler the Python stand-in of module_server.py takes its place). Ansible starts it for every
 * module: the Python stand-in cost about 12 ms of CPU a start, this one well under one.
 *
 * An AnsiballZ script (one argument, named AnsiballZ_*) runs in the module server: the request is "N", then the
 * script, the working directory, the umask (decimal) and each environment entry, each ended by a NUL byte; the
 * descriptors passed are a channel (a socket pair's other end) and standard input, output and error. The server
 * answers {"pid": N} or {"error": "..."} on the channel, then {"status": N} (a wait status) when the child ended.
 * The signals a shell or Ansible sends are relayed as {"signal": N}. Anything else, or a server that does not
 * answer, is the real interpreter, exec'd in its place.
 *
 * module_server.py defines REAL_PYTHON and SERVER_SOCKET (string literals) when it compiles this file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int channel = -1;

static void real(int argc, char **argv) {
    char **args = calloc((size_t)argc + 1, sizeof(char *));
    if (args != NULL) {
        args[0] = (char *)REAL_PYTHON;
        for (int i = 1; i < argc; i++)
            args[i] = argv[i];
        execv(REAL_PYTHON, args);
    }
    perror("module stand-in: " REAL_PYTHON);
    _exit(127);
}

static int is_ansiballz(const char *path) {
    const char *name = strrchr(path, '/');
    return strncmp(name ? name + 1 : path, "AnsiballZ_", 10) == 0;
}

/* Appends text and its NUL to the request; 0 when it does not fit. */
static int append(char *request, size_t *used, size_t size, const char *text) {
    size_t length = strlen(text) + 1;
    if (*used + length > size)
        return 0;
    memcpy(request + *used, text, length);
    *used += length;
    return 1;
}

static void relay(int signum) {
    char message[32] = "{\"signal\": ";
    size_t length = strlen(message);
    char digits[12];
    int count = 0;
    int saved = errno;
    do {
        digits[count++] = (char)('0' + signum % 10);
        signum /= 10;
    } while (signum > 0);
    while (count > 0)
        message[length++] = digits[--count];
    message[length++] = '}';
    (void)send(channel, message, length, MSG_NOSIGNAL);
    errno = saved;
}

/* recv, again after a relayed signal interrupted it. */
static ssize_t receive(char *buffer, size_t size) {
    ssize_t received;
    do {
        received = recv(channel, buffer, size - 1, 0);
    } while (received < 0 && errno == EINTR);
    buffer[received > 0 ? received : 0] = '\0';
    return received;
}

int main(int argc, char **argv) {
    static char request[1 << 20];
    static char reply[1 << 16];
    char cwd[4096], umask_text[16];
    size_t used = 1;
    /* No argument and no terminal: the script comes on standard input (Ansible's pipelining), "" as Python names
     * it in sys.argv; the server runs it if it is an AnsiballZ wrapper, else the real interpreter. */
    const char *script = argc == 1 && !isatty(0) ? "" : argc == 2 && is_ansiballz(argv[1]) ? argv[1] : NULL;
    if (script == NULL || getcwd(cwd, sizeof cwd) == NULL)
        real(argc, argv);

    int connection = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, SERVER_SOCKET, sizeof address.sun_path - 1);
    if (connection < 0 || connect(connection, (struct sockaddr *)&address, sizeof address) != 0)
        real(argc, argv);
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        real(argc, argv);
    channel = pair[0];

    mode_t mask = umask(022);
    umask(mask);
    snprintf(umask_text, sizeof umask_text, "%u", (unsigned)mask);
    request[0] = 'N';
    int fits = append(request, &used, sizeof request, script) && append(request, &used, sizeof request, cwd) &&
               append(request, &used, sizeof request, umask_text);
    for (char **entry = environ; fits && *entry != NULL; entry++)
        fits = append(request, &used, sizeof request, *entry);
    if (!fits)
        real(argc, argv);

    int fds[4] = {pair[1], 0, 1, 2};
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec vector = {.iov_base = request, .iov_len = used};
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control,
                             .msg_controllen = sizeof control};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(header), fds, sizeof fds);
    if (sendmsg(connection, &message, MSG_NOSIGNAL) < 0)
        real(argc, argv);
    close(pair[1]);
    close(connection);

    if (receive(reply, sizeof reply) <= 0)
        strcpy(reply, "{\"error\": \"the module server ended\"}");
    if (strncmp(reply, "{\"error\": ", 10) == 0) {
        size_t length = strlen(reply);
        fprintf(stderr, "module server: %.*s; running the real interpreter\n", (int)(length > 11 ? length - 11 : 0),
                reply + 10);
        real(argc, argv);
    }

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = relay;  /* no SA_RESTART: the wait below sees EINTR and waits again */
    sigemptyset(&action.sa_mask);
    int relayed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof relayed / sizeof relayed[0]; i++)
        sigaction(relayed[i], &action, NULL);

    int code = -SIGTERM;  /* the server gone without a status: as if the child was terminated */
    const char *status = receive(reply, sizeof reply) > 0 ? strchr(reply, ':') : NULL;
    if (status != NULL) {
        int wait_status = atoi(status + 1);
        code = WIFSIGNALED(wait_status) ? -WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
    }
    if (code < 0) {  /* killed by a signal: the same end for the stand-in (its relay undone first) */
        if (-code != SIGKILL && -code != SIGSTOP)
            signal(-code, SIG_DFL);
        kill(getpid(), -code);
    }
    _exit(code);
}
