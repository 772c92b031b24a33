"use strict";
// Swagger UI with a definition selector: the configuration API and the OpenAI-compatible /v1.
const swaggerSettings = {{ settings|safe }};
const primary = new URLSearchParams(window.location.search).get("api") === "v1"
  ? "OpenAI-compatible API (/v1)" : "Configuration API (/api/v1)";

const requestInterceptor = (request) => {
  // The configuration API accepts the browser's session; its writes need the CSRF token.
  if (!["GET", undefined].includes(request.method) && request.credentials === "same-origin") {
    request.headers["{{ csrf_header_name }}"] = "{{ csrf_token }}";
  }
  return request;
};

const ui = SwaggerUIBundle({
  urls: [
    { url: "{{ schema_url|escapejs }}", name: "Configuration API (/api/v1)" },
    { url: "{% url 'v1-openapi' %}", name: "OpenAI-compatible API (/v1)" },
  ],
  "urls.primaryName": primary,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  requestInterceptor,
  ...swaggerSettings,
});
