package dev.spindle.tcp;

import java.nio.charset.StandardCharsets;
import java.util.List;

import dev.spindle.config.SecurityProperties.Role;
import dev.spindle.security.Access;
import dev.spindle.security.Credentials;
import dev.spindle.security.TooManyFailuresException;
import dev.spindle.tcp.RespCommands.Command;
import org.jspecify.annotations.Nullable;

import org.springframework.security.core.AuthenticationException;

/**
 * RESP's side of {@link Access}, as Redis 6 answers: {@code AUTH [username] password} (the
 * password is an API key or a JWT, the username a key's name), {@code -NOAUTH} for a command before
 * it, {@code -WRONGPASS} when it fails, {@code -NOPERM} for a command the key's roles do not allow,
 * and {@code -DENIED} (then a close) for a client protected mode does not serve.
 */
final class RespAuth {

    private final Access access;

    private final Credentials credentials;

    private final TcpMetrics metrics;

    RespAuth(Access access, Credentials credentials, TcpMetrics metrics) {
        this.access = access;
        this.credentials = credentials;
        this.metrics = metrics;
    }

    /** The role a command needs; null for those anyone may send (QUIT, AUTH) or any authenticated caller (PING). */
    static @Nullable Role role(Command command) {
        return switch (command) {
            case PING, QUIT, AUTH -> null;
            case SUBMIT, WORKFLOW_SUBMIT -> Role.SUBMIT;
            case GET, WAIT, STATS, WORKFLOW_GET, WORKFLOW_WAIT, SCHEDULE_LIST, SCHEDULE_GET, OUTPUT, LOG -> Role.READ;
            case CANCEL, WORKFLOW_CANCEL, SCHEDULE_TRIGGER -> Role.OPERATE;
        };
    }

    /** Whether protected mode refuses this connection: it is then told so, and closed. */
    boolean denied(RespSession session, RespWriter out) {
        if (!access.refusedByProtectedMode(session.address())) {
            return false;
        }
        metrics.error("denied");
        out.error("DENIED " + Access.PROTECTED_MODE_HINT);
        return true;
    }

    /**
     * Whether {@code command} may run for this session; if not, the error is written.
     */
    boolean admits(Command command, RespSession session, RespWriter out) {
        if (command == Command.QUIT || command == Command.AUTH || !access.authenticationRequired()) {
            return true;
        }
        if (session.authentication() == null) {
            metrics.error("noauth");
            out.error("NOAUTH Authentication required.");
            return false;
        }
        Role role = role(command);
        if (role != null && !access.allows(session.authentication(), session.address(), role)) {
            metrics.error("noperm");
            out.error("NOPERM this key has no permission to run the '" + command.wireName().toLowerCase(java.util.Locale.ROOT)
                    + "' command");
            return false;
        }
        return true;
    }

    /** {@code AUTH password} or {@code AUTH username password}. */
    void auth(List<byte[]> arguments, RespSession session, RespWriter out) {
        if (arguments.size() < 2 || arguments.size() > 3) {
            metrics.error("arity");
            out.error("ERR wrong number of arguments for 'auth' command");
            return;
        }
        if (!access.authenticationRequired()) {
            metrics.error("invalid");
            out.error("ERR AUTH <password> called without any password configured. Are you sure your configuration "
                    + "is correct?");
            return;
        }
        String user = arguments.size() == 3 ? text(arguments.get(1)) : null;
        String secret = text(arguments.getLast());
        try {
            session.authenticated(credentials.authenticate(user, secret, session.address()));
            out.simple("OK");
        }
        catch (TooManyFailuresException ex) {
            metrics.error("limited");
            out.error("LIMIT " + ex.getMessage());
        }
        catch (AuthenticationException ex) {
            metrics.error("wrongpass");
            out.error("WRONGPASS invalid username-password pair or user is disabled.");
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
