package dev.spindle.security;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import dev.spindle.config.SecurityProperties.Role;

import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;

/** Roles as Spring Security authorities: {@code ROLE_READ} and so on; admin holds all of them. */
public final class Roles {

    private Roles() {
    }

    /** The authorities that {@code roles} grant: each role's, and every role's for admin. */
    static List<GrantedAuthority> authorities(Collection<Role> roles) {
        Set<Role> granted = roles.contains(Role.ADMIN) ? EnumSet.allOf(Role.class) : EnumSet.copyOf(roles);
        return granted.stream().<GrantedAuthority>map(role -> new SimpleGrantedAuthority(authority(role))).toList();
    }

    /** The authority of one role. */
    public static String authority(Role role) {
        return "ROLE_" + role.name();
    }

    /** Whether an authenticated caller holding {@code authorities} has {@code role}. */
    public static boolean has(Collection<? extends GrantedAuthority> authorities, Role role) {
        String wanted = authority(role);
        return authorities.stream().anyMatch(authority -> wanted.equals(authority.getAuthority()));
    }
}
