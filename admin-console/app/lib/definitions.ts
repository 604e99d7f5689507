// Wire types of the Flask admin API (app/admin/openapi.json), as the console reads them.

export type Role = "superadmin" | "owner" | "staff";
export type MemberRole = "owner" | "staff";

export type User = {
  id: number;
  email: string;
  name: string;
  is_superadmin: boolean;
  active: boolean;
  created_at: string;
  /** In the superadmins' list: the password was set by someone else, not yet by its holder. */
  password_change_required?: boolean;
};

export type Membership = {
  business_id: number;
  business_name: string;
  role: MemberRole;
};

export type Me = User & {
  memberships: Membership[];
  /** The password was set by someone else: the user must choose their own (POST /auth/password)
   * before the API answers anything but /me, logout and that. */
  password_change_required: boolean;
};

export type LoginResponse = {
  token: string;
  expires_at: string;
  user: Me;
};

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** "HH:MM" pairs; a day's `breaks` are closed intervals inside open..close. */
export type DayHours = {
  open: string;
  close: string;
  breaks?: [string, string][];
};

export type OpeningHours = Partial<Record<Weekday, DayHours | null>>;

export type Service = {
  id: number;
  name: string;
  duration_minutes: number;
  price: string;
  currency: string;
};

export type ServiceInput = {
  id?: number | null;
  name: string;
  duration_minutes: number;
  price: string | number;
  currency: string;
};

/** Writable settings (PATCH /businesses/{id}); whatsapp_number_id and active are superadmin only. */
export type BusinessSettings = {
  name?: string;
  display_phone_number?: string;
  access_token?: string;
  timezone?: string;
  language?: string;
  personality?: string;
  instructions?: string;
  opening_hours?: OpeningHours;
  closed_dates?: string[];
  max_concurrent?: number;
  slot_step_minutes?: number;
  buffer_minutes?: number;
  min_notice_minutes?: number;
  horizon_days?: number;
  whatsapp_number_id?: string;
  /** The business's Facebook Page (Messenger); null: not on Messenger. Superadmin only. */
  messenger_page_id?: string | null;
  /** The Page's access token: write-only, stored encrypted (see has_page_access_token). */
  page_access_token?: string;
  active?: boolean;
  /** Prompt plus completion tokens per month; null is unlimited. Superadmin only. */
  monthly_token_budget?: number | null;
  reminders_enabled?: boolean;
  /** Minutes before the appointment (real minutes), e.g. [1440, 120]. */
  reminder_offsets_minutes?: number[];
  /** No reminder goes from start to end in the business's timezone; null: none. */
  reminder_quiet_hours?: QuietHours | null;
  /** The approved WhatsApp template sent outside the 24-hour window; null: none. */
  reminder_template?: ReminderTemplate | null;
};

export type QuietHours = { start: string; end: string };

export type ReminderTemplate = { name: string; language: string };

/**
 * What became of one reminder: its own state until its message exists (`failed` too, with no code
 * nor send_error, when its job failed on every attempt), then the message's.
 */
export type ReminderState =
  | "pending"
  | "skipped"
  | "cancelled"
  | "missed"
  | "off"
  | "queued"
  | "sent"
  | "delivered"
  | "read"
  | "played"
  | "confirmed"
  | "failed";

export type Reminder = {
  offset_minutes: number;
  due_at: string;
  status: ReminderState;
  /** Meta's error code when it failed, e.g. 131049, 131026, 131047. */
  error_code: number | null;
  send_error: SendError | null;
};

/** One appointment with its reminders (GET /businesses/{id}/appointments/{id}). */
export type AppointmentDetail = {
  id: number;
  customer_id: number;
  customer_name: string | null;
  channel: Channel;
  service_name: string;
  starts_at: string;
  ends_at: string;
  status: AppointmentStatus;
  confirmed_at: string | null;
  reminders_off: boolean;
  customer_reminders_off: boolean;
  reminders: Reminder[];
  service_id: number;
  customer_channel: Channel;
  /** Where the booking stands in Google Calendar (the business uses Google): none, pending, synced, failed. */
  calendar_sync: string;
  customer_address: string;
  created_by: "bot" | "staff";
  created_by_email: string | null;
  created_at: string;
  cancelled_at: string | null;
  no_show_at: string | null;
  /** Every move of this appointment (same id), oldest first. */
  moves: AppointmentMove[];
  /** What staff did to it (the audit log), oldest first. */
  history: { action: string; user_email: string | null; created_at: string }[];
};

export type Business = Required<Omit<BusinessSettings, "access_token" | "page_access_token">> & {
  id: number;
  calendar_backend: string;
  has_access_token: boolean;
  has_page_access_token: boolean;
  created_at: string;
  updated_at: string;
  services: Service[];
};

export type BusinessSummary = {
  id: number;
  name: string;
  whatsapp_number_id: string;
  messenger_page_id: string | null;
  display_phone_number: string;
  timezone: string;
  active: boolean;
  role: Role;
};

/** A customer on one channel: `address` is their id there (a WhatsApp number, a Messenger PSID). */
export type Customer = {
  id: number;
  channel: Channel;
  address: string;
  profile_name: string;
  bot_paused: boolean;
  opted_out: boolean;
  /** No reminders for this customer ("stop reminders", or staff turned them off). */
  reminders_off: boolean;
  first_seen_at: string;
  last_seen_at: string;
  /** Their last message as the channel timestamped it: the 24-hour window counts from it. */
  last_inbound_at: string | null;
  /** Handed to the team and not yet answered by a staff member (listed first). */
  needs_attention: boolean;
  handoff_reason: string | null;
  /** What the customer wants, for whoever picks it up. */
  handoff_summary: string | null;
  /** When it was handed over: the waiting time counts from here. */
  handoff_at: string | null;
  /** When the bot answers again by itself (the quiet time after the last staff reply). */
  paused_until: string | null;
  /** Set once the customer's data was erased: the row names no one any more. */
  erased_at?: string | null;
};

/** What erasing a customer did (counts only). */
export type Erasure = {
  erased: boolean;
  already: boolean;
  messages?: number;
  cancelled_appointments?: number;
  kept_appointments?: number;
};

export type Channel = "whatsapp" | "messenger" | "walk_in";

/** Why an outbound message was not sent (null for sent ones and for delivery failures). */
export type SendError =
  "window_closed" | "expired" | "never_retry" | "bad_credentials" | "unreachable" | "withdrawn" | "quiet_hours";

export type Direction = "in" | "out";

export type Conversation = Customer & {
  last_message: { body: string; direction: Direction; created_at: string } | null;
  unread: number;
};

export type Page<K extends string, T> = { [key in K]: T[] } & {
  total: number;
  page: number;
  per_page: number;
};

export type ToolCall = {
  name: string;
  args: Record<string, unknown>;
  result: unknown;
  ok: boolean;
  latency_ms: number;
};

export type Turn = {
  id: number;
  status: "running" | "answered" | "failed";
  tool_calls: ToolCall[];
  error: string | null;
};

/** in: received/processed/ignored/failed; out: queued/sent/delivered/read/played/failed. */
export type Message = {
  id: number;
  direction: Direction;
  type: string;
  body: string;
  status: string;
  error_code: number | null;
  error_title: string | null;
  send_error: SendError | null;
  purpose: "reply" | "notice" | "staff";
  /** text, template:<name>, tag:<message tag> (sandbox, mock): how it went out. */
  sent_as: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  turn_id: number | null;
  turn: Turn | null;
  /** An inbound tap on one of the bot's own buttons, list rows or quick replies. */
  tapped: boolean;
  /** What an outbound message offered to tap, in order (empty for plain text). */
  options: OfferedOption[];
  /** The label of the button that opened a list (null for buttons and quick replies). */
  list_button: string | null;
  /** The staff member who wrote it (purpose "staff"; null for an answer written in Messenger's Page inbox or the WhatsApp Business app). */
  sent_by: number | null;
  sent_by_name: string | null;
};

export type OfferedOption = { title: string; description: string; section: string };

export type Thread = {
  customer: Customer;
  messages: Message[];
  has_more: boolean;
};

export type AppointmentStatus = "booked" | "cancelled" | "no_show";

export type Appointment = {
  id: number;
  starts_at: string;
  ends_at: string;
  status: AppointmentStatus;
  service_id: number;
  service_name: string;
  customer_id: number;
  customer_name: string;
  customer_channel: Channel;
  customer_address: string;
  calendar_sync: string;
  /** Only on bookings moved before a move kept the appointment's id: the row this one replaced. */
  rescheduled_from: number | null;
  /** Every move of this appointment (same id), oldest first. */
  moves: AppointmentMove[];
  created_by: "bot" | "staff";
  created_at: string;
  cancelled_at: string | null;
};

/** Time nobody can book (a holiday, an absence). */
export type BlockedTime = {
  id: number;
  starts_at: string;
  ends_at: string;
  reason: string;
};

/** A refused change: why (`reason`, a code app/lib/problems.ts words) and, for a booking, up to
 * three free starts nearby. */
export type Refusal = { reason: string; alternatives: string[] };

export type OverviewWeek = {
  start: string;
  bookings: number;
  by_channel: Record<string, number>;
  by_source: { bot: number; staff: number };
  cancellations: number;
  no_shows: number;
  conversations: { total: number; without_staff: number };
};

export type Overview = { timezone: string; week_start: string; this_week: OverviewWeek; last_week: OverviewWeek };

export type AppointmentMove = {
  from_starts_at: string;
  from_ends_at: string;
  to_starts_at: string;
  to_ends_at: string;
  moved_at: string;
};

/** A member as the team page sees it: nothing of the account itself (GET /users has that). */
export type StaffMember = {
  id: number;
  email: string;
  role: MemberRole;
  /** When they were added to this business. */
  added_at: string;
};

export type NewUser = { user: User; password?: string; role?: MemberRole };
/** What adding a team member answers: only what the owner typed, never the account's details. */
export type AddedMember = { user: { id: number; email: string }; password?: string; role: MemberRole };

/** One message of the "Try the bot" thread; tool_calls sit on the outbound messages of a turn. */
export type SandboxMessage = {
  id: number;
  direction: Direction;
  body: string;
  status: string;
  created_at: string;
  tool_calls?: ToolCall[];
};

/** A statement of the reference document that contradicts the settings (the settings win). */
export type Conflict = {
  /** services.<name>.price or opening_hours.<day> */
  field: string;
  configured: string;
  document: string;
  text: string;
};

/** What an import read and skipped, stored with the version it made: `reason` and `stopped` in
 * English, `code` and `stopped_code` for the console to word (absent from reports stored before).
 * `skipped` lists at most 200 URLs (20 links to other sites among them): `skipped_omitted` counts
 * the rest, `other_site_links` every link to another site (both absent from older reports).
 * `robots_cut` names each robots.txt over 500 KiB, obeyed up to that (absent from older reports). */
export type ImportReport = {
  start_url: string;
  pages: { url: string; title: string; chars: number }[];
  skipped: { url: string; reason: string; code?: string }[];
  skipped_omitted?: number;
  other_site_links?: number;
  stopped: string | null;
  stopped_code?: string | null;
  robots_cut?: string[];
  requests: number;
  bytes_read: number;
  written_by: "model" | "extractive";
};

/** One version of the reference document (version null: there is none yet). */
export type ReferenceDocument = {
  version: number | null;
  source: "import" | "edit" | null;
  source_url: string | null;
  created_at: string | null;
  created_by: string | null;
  report: ImportReport | null;
  content: string;
  conflicts: Conflict[];
  prompt_chars: number;
  in_prompt_chars: number;
  shortened_in_prompt: boolean;
};

export type ReferenceVersion = {
  version: number;
  source: "import" | "edit";
  source_url: string | null;
  created_at: string;
  chars: number;
  created_by: string | null;
};

export type UsageModel = {
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** USD, decimal string; null when the model has no configured price. */
  estimated_cost_usd: string | null;
};

export type UsageMonth = {
  /** YYYY-MM in the business's timezone */
  month: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  estimated_cost_usd: string;
  unpriced_tokens: number;
  models: UsageModel[];
};

export type Usage = {
  timezone: string;
  monthly_token_budget: number | null;
  current_month: UsageMonth & { budget_used: number | null; warning: boolean; over_budget: boolean };
  months: UsageMonth[];
};

/** A model provider's circuit breaker; `half_open`: the next model call is a trial. */
export type LlmBreaker = {
  provider: string; // "<model>@<base url>"
  state: "closed" | "half_open" | "open";
  failures: number; // failed calls in a row
  opened_at: string | null;
};

/** The one error body of the API; `fields` maps dotted paths to messages on a 400. */
export type ApiErrorBody = {
  error: string;
  message: string;
  fields?: Record<string, string>;
  retry_after?: number;
  /** A refused change: why, as a code (a booking's also with free starts nearby). */
  reason?: string;
  alternatives?: string[];
};

/** What a server action hands back to the form that called it (`fromApi`: a failure's message is
 * the API's own words, which app/lib/problems.ts never shows bare). */
export type ActionResult<T = undefined> =
  | { ok: true; message?: string; data?: T }
  | { ok: false; message: string; fields?: Record<string, string>; refusal?: Refusal; fromApi?: boolean };

/** Whether the business's calendar is up to date (`GET …/calendar`). */
export type CalendarHealth = {
  calendar_backend: "local" | "google";
  /** The last problem the bot recorded with Google (cleared by the next success). */
  calendar_error: string | null;
  calendar_error_at: string | null;
  /** Bookings not over yet waiting to be written to Google for more than `late_after_minutes`. */
  upcoming_pending_late: number;
  /** Bookings not over yet that could not be written to Google. */
  upcoming_failed: number;
  late_after_minutes: number;
  last_synced_at: string | null;
};
