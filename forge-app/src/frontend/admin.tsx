import ForgeReconciler from '@forge/react';
import { AdminPage } from './admin-page';
import { useAdmin } from './use-admin';
import { useInsights } from './use-insights';

/** The admin page in Confluence global settings and in Jira's apps administration. */
export function Admin() {
  return <AdminPage admin={useAdmin()} insights={useInsights()} />;
}

ForgeReconciler.render(<Admin />);
