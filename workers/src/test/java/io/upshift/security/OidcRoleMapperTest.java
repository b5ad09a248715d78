package io.upshift.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.user.OidcUserAuthority;

/** OIDC logins get Upshift roles only from the configured claim. */
class OidcRoleMapperTest {

  @Test
  void roleNamesInTheClaimBecomeRolesAndEverythingElseIsDropped() {
    var mapped =
        new OidcRoleMapper("groups", "")
            .mapAuthorities(
                List.of(
                    oidc(Map.of("sub", "u1", "groups", List.of("approver", "Viewer", "hr-team"))),
                    new SimpleGrantedAuthority("SCOPE_openid")));
    assertThat(mapped.stream().map(GrantedAuthority::getAuthority))
        .containsExactlyInAnyOrder("ROLE_APPROVER", "ROLE_VIEWER");
  }

  @Test
  void aSpaceOrCommaSeparatedClaimWorksAndAMissingClaimGivesNoRole() {
    var mapped =
        new OidcRoleMapper("roles", "")
            .mapAuthorities(List.of(oidc(Map.of("sub", "u2", "roles", "operator, viewer"))));
    assertThat(mapped.stream().map(GrantedAuthority::getAuthority))
        .containsExactlyInAnyOrder("ROLE_OPERATOR", "ROLE_VIEWER");
    assertThat(new OidcRoleMapper("roles", "").mapAuthorities(List.of(oidc(Map.of("sub", "u3")))))
        .isEmpty();
  }

  @Test
  void withAPrefixOnlyPrefixedValuesNameRoles() {
    var mapped =
        new OidcRoleMapper("groups", "upshift-")
            .mapAuthorities(
                List.of(oidc(Map.of("sub", "u4", "groups", List.of("Admin", "upshift-Approver")))));
    assertThat(mapped.stream().map(GrantedAuthority::getAuthority))
        .containsExactly("ROLE_APPROVER");
  }

  @Test
  void anOidcUserNamedLikeALocalUserIsRefused() {
    var user =
        new org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser(
            List.of(),
            new OidcIdToken(
                "t",
                Instant.now(),
                Instant.now().plusSeconds(60),
                Map.of("sub", "u5", "preferred_username", "operator")),
            "preferred_username");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> SecurityConfiguration.notLocal(user, java.util.Set.of("operator")))
        .hasMessageContaining("'operator' is also a local user");
    assertThat(SecurityConfiguration.notLocal(user, java.util.Set.of("approver"))).isSameAs(user);
  }

  private static OidcUserAuthority oidc(Map<String, Object> claims) {
    Instant now = Instant.now();
    return new OidcUserAuthority(new OidcIdToken("token", now, now.plusSeconds(60), claims));
  }
}
