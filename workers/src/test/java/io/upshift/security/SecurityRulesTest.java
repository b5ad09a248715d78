package io.upshift.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.AuthorityUtils;

/** The role hierarchy and the checks on configured users, without a running service. */
class SecurityRulesTest {

  static final String HASH = "$2a$04$DHMLot4TZDmjLcxx3gVU7OgxLusV863sm0cTEc2ibvmNjwU7HAbNm";

  @Test
  void adminImpliesEveryRoleAndOperatorDoesNotImplyApprover() {
    assertThat(reachable(Role.ADMIN))
        .containsExactlyInAnyOrder("ROLE_ADMIN", "ROLE_OPERATOR", "ROLE_APPROVER", "ROLE_VIEWER");
    assertThat(reachable(Role.OPERATOR)).containsExactlyInAnyOrder("ROLE_OPERATOR", "ROLE_VIEWER");
    assertThat(reachable(Role.APPROVER)).containsExactlyInAnyOrder("ROLE_APPROVER", "ROLE_VIEWER");
    assertThat(reachable(Role.VIEWER)).containsExactly("ROLE_VIEWER");
  }

  @Test
  void usersNeedABcryptHashAndARole() {
    assertThat(new UpshiftSecurityProperties.User("ops", HASH, Set.of(Role.OPERATOR), null).roles())
        .containsExactly(Role.OPERATOR);
    assertThatThrownBy(
            () -> new UpshiftSecurityProperties.User("ops", "secret", Set.of(Role.OPERATOR), null))
        .hasMessageContaining("password-hash of user 'ops' must be a bcrypt hash");
    assertThatThrownBy(() -> new UpshiftSecurityProperties.User("ops", HASH, Set.of(), null))
        .hasMessageContaining("roles of user 'ops'");
    assertThatThrownBy(
            () -> new UpshiftSecurityProperties.User(" ", HASH, Set.of(Role.VIEWER), null))
        .hasMessageContaining("name is required");
  }

  @Test
  void userNamesAreUnique() {
    var ops = new UpshiftSecurityProperties.User("ops", HASH, Set.of(Role.OPERATOR), null);
    assertThatThrownBy(() -> new UpshiftSecurityProperties(List.of(ops, ops), null, null))
        .hasMessageContaining("'ops' is configured twice");
    assertThat(new UpshiftSecurityProperties(null, null, null).users()).isEmpty();
  }

  private static List<String> reachable(Role role) {
    return SecurityConfiguration.roleHierarchy()
        .getReachableGrantedAuthorities(AuthorityUtils.createAuthorityList(role.authority()))
        .stream()
        .map(GrantedAuthority::getAuthority)
        .toList();
  }
}
