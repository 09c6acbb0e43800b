// Swagger UI over the service's own OpenAPI document; a separate file because the page's CSP forbids inline scripts.
window.ui = window.SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
