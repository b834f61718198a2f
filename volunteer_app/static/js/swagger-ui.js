/* Starts Swagger UI on /api/docs (templates/swagger_ui.html) with the settings the page carries. */
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui-container");
  var config = {url: box.getAttribute("data-spec-url"), dom_id: "#swagger-ui-container"};
  var extra = JSON.parse(box.getAttribute("data-config"));
  Object.keys(extra).forEach(function (key) { config[key] = extra[key]; });
  window.ui = SwaggerUIBundle(config);
})();
