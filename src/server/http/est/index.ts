export { estRoutes } from "./est.routes.js";
export { estManagementRoutes } from "./est-management.routes.js";
