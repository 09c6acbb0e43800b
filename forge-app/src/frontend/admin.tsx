import ForgeReconciler from '@forge/react';
import { AdminPage } from './admin-page';
import { useAdmin } from './use-admin';

/** The admin page in Confluence global settings and in Jira's apps administration. */
export function Admin() {
  return <AdminPage admin={useAdmin()} />;
}

ForgeReconciler.render(<Admin />);
