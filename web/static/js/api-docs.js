// Starts Swagger UI (vendored under /static/vendor/swagger-ui) on /api/v1/docs. A file, not an inline
// script: the content security policy allows scripts from this origin only.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null, // never send the document to an outside validator
    persistAuthorization: false, // a token pasted into Authorize is not kept in the browser's storage
    displayRequestDuration: true
  });
})();
