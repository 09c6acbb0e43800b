// Forge resolves function handlers under src/ beside manifest.yml; the app's code lives in forge-app/.
export { handler } from '../forge-app/src/index';
