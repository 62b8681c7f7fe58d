// Shapes of the management API (see /api/v1/openapi.json) that the console reads.
export interface Localized {
  enUS?: string;
  zhCN?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
}

export interface User {
  id: string;
  name: string;
  display_name: string;
  email: string;
  role: 'admin' | 'user';
  disabled: boolean;
  workspace_id: string;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export interface Workspace {
  id: string;
  slug: string;
  name: string;
  description: string;
  personal: boolean;
  role?: 'owner' | 'member';
  created_at: number;
}

export interface Me {
  user: User;
  workspaces: Workspace[];
  workspace_id: string;
}

export interface Provider {
  id: string;
  name: Localized;
  icon: string;
}

export interface Model {
  id: string;
  display_name: string;
  description: Localized;
  provider_id: string;
  tags: string[];
  sources: { huggingface: string; modelscope: string };
  config: { maxTokens: number };
  icon: string;
  links: { description: string; url: string }[];
  deployments: Record<string, unknown>[];
  published: boolean;
  price_input: number;
  price_output: number;
  created_at: number;
  updated_at: number;
}

export interface ImportItemResult {
  id: string;
  status: 'created' | 'exists' | 'invalid';
  reason: string;
  warnings: string[];
  templates: number;
}

export interface ImportResult {
  dry_run: boolean;
  created: number;
  exists: number;
  invalid: number;
  items: ImportItemResult[];
}

export interface ApiKey {
  id: string;
  name: string;
  masked: string;
  workspace_id: string;
  user_id: string;
  allowed_models: string[];
  disabled: boolean;
  expires_at: number | null;
  expired: boolean;
  created_at: number;
  last_used_at: number | null;
}

export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export interface MaasEndpoint {
  base_url: string;
  model: string;
  weight: number;
  api_key?: string;
  has_api_key?: boolean;
}

export interface MaasRateLimit {
  metric?: string;
  limit?: number;
  window_seconds?: number;
  [k: string]: unknown;
}

export interface MaasModel {
  id: string;
  access_name: string;
  model_id: string;
  display_name: string;
  endpoints?: MaasEndpoint[];
  lb_policy?: string;
  rate_limits: MaasRateLimit[];
  enabled: boolean;
  entry_cluster?: string;
  created_at: number;
}

export interface RuntimeTemplate {
  id: string;
  name: string;
  [k: string]: unknown;
}

export interface DeploymentTemplate {
  id: string;
  model_id: string;
  [k: string]: unknown;
}

export interface AuditEvent {
  id: string;
  time: number;
  actor_id: string;
  actor_name: string;
  workspace_id: string;
  action: string;
  resource_type: string;
  resource_id: string;
  result: 'success' | 'failure';
  detail: string;
  source_ip: string;
  request_id: string;
}

export type DeploymentState = 'Pending' | 'Downloading' | 'Starting' | 'Running' | 'Degraded' | 'Failed' | 'Stopped' | 'Deleting';

export interface Deployment {
  id: string;
  workspace_id: string;
  name: string;
  access_name: string;
  service_id: string;
  model: string;
  template: string;
  runtime: string;
  model_path: string;
  served_model_name: string;
  replicas: number;
  ready_replicas: number;
  cluster: string;
  namespace: string;
  desired: 'running' | 'stopped' | 'deleted';
  state: DeploymentState;
  reason: string;
  generation: number;
  custom_args: string[];
  env: Record<string, string>;
  resources: { cpu: number; memory: number };
  created_by: string;
  created_at: number;
  updated_at: number;
}

export interface Replica {
  index: number;
  state: string;
  reason: string;
  ready: boolean;
  pid: number;
  port: number;
  endpoint: string;
  restarts: number;
  generation: number;
  started_at: number;
  updated_at: number;
}

export interface DeploymentEvent {
  time: number;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeploymentDetail extends Deployment {
  replica_status: Replica[];
  events: DeploymentEvent[];
  examples: { base_url: string; curl: string; python: string; node: string };
}

export interface ModerationRule {
  id: string;
  workspace_id: string;
  kind: 'keyword' | 'regex';
  pattern: string;
  direction: 'input' | 'output' | 'both';
  description: string;
  enabled: boolean;
  created_at: number;
  updated_at: number;
}
