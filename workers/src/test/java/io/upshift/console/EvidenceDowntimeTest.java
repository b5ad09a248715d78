package io.upshift.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.thymeleaf.context.Context;
import org.thymeleaf.spring6.SpringTemplateEngine;
import org.thymeleaf.templatemode.TemplateMode;
import org.thymeleaf.templateresolver.ClassLoaderTemplateResolver;
import org.thymeleaf.templateresolver.StringTemplateResolver;

/** The sign-off evidence shows the downtime users saw first, per hop when there were several. */
class EvidenceDowntimeTest {

  private static String render(String evidenceJson) throws Exception {
    ClassLoaderTemplateResolver files = new ClassLoaderTemplateResolver();
    files.setPrefix("templates/");
    files.setSuffix(".html");
    files.setTemplateMode(TemplateMode.HTML);
    files.setResolvablePatterns(java.util.Set.of("console/*"));
    files.setOrder(1);
    StringTemplateResolver strings = new StringTemplateResolver();
    strings.setOrder(2);
    SpringTemplateEngine engine = new SpringTemplateEngine();
    engine.addTemplateResolver(files);
    engine.addTemplateResolver(strings);
    Context context = new Context();
    var beans = new org.springframework.context.support.StaticApplicationContext();
    beans.getBeanFactory().registerSingleton("fmt", new ConsoleFormat(new ObjectMapper()));
    beans.refresh();
    context.setVariable(
        org.thymeleaf.spring6.expression.ThymeleafEvaluationContext
            .THYMELEAF_EVALUATION_CONTEXT_CONTEXT_VARIABLE_NAME,
        new org.thymeleaf.spring6.expression.ThymeleafEvaluationContext(beans, null));
    context.setVariable(
        "ev",
        new ObjectMapper().readValue(evidenceJson, new TypeReference<Map<String, Object>>() {}));
    return engine
        .process("<div th:replace=\"~{console/evidence :: evidence(${ev}, null)}\"></div>", context)
        .replaceAll("\\s+", " ");
  }

  @Test
  void twoHopsShowTheTotalAsUsersSawItAndEachHop() throws Exception {
    String html =
        render(
            """
            {"verification": ["ok health api: answered 200"],
             "downtimeSeconds": 11.2, "userVisibleDowntimeSeconds": 3.9,
             "downtimeByHop": {"1.1.0": {"downtimeSeconds": 6.2, "userVisibleDowntimeSeconds": 1.7},
                               "1.2.0": {"downtimeSeconds": 5.0, "userVisibleDowntimeSeconds": 2.2}},
             "hops": ["1.1.0", "1.2.0"]}
            """);
    assertThat(html)
        .contains("<span>3.9</span> s as users saw it")
        .contains("<span>11.2</span> s until all services started")
        .contains(
            "hop to <span>1.1.0</span>: <span>1.7</span> s (<span>6.2</span> s until all started)")
        .contains("hop to <span>1.2.0</span>: <span>2.2</span> s");
  }

  @Test
  void oneHopHasNoListAndOldEvidenceKeepsItsFigure() throws Exception {
    String one =
        render(
            """
            {"downtimeSeconds": 6.2, "userVisibleDowntimeSeconds": 1.7,
             "downtimeByHop": {"1.1.0": {"downtimeSeconds": 6.2, "userVisibleDowntimeSeconds": 1.7}}}
            """);
    assertThat(one)
        .contains("<span>1.7</span> s as users saw it")
        .doesNotContain("downtime-by-hop");
    String old = render("{\"downtimeSeconds\": 30.5}");
    assertThat(old).contains("Measured downtime</dt><dd><span>30.5</span> s</dd>");
  }
}
