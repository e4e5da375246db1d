-- Issue 11: WhatsApp messaging. The messaging Worker owns these tables; each conversation is
-- written by its Conversation Durable Object (one per store and WhatsApp user), and delivery
-- states by the outbound consumer and Meta's status webhooks.

-- A store's WhatsApp Business number. Inbound webhooks find their store by phone_number_id:
-- unique, so one number can never belong to two stores. The access token is sealed (AES-GCM,
-- MESSAGING_SECRET_KEY) and never returned.
CREATE TABLE "whatsapp_channels" (
	"store_id" text PRIMARY KEY NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"phone_number_id" text NOT NULL,
	"display_phone_number" text NOT NULL,
	"access_token_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "whatsapp_channels_phone_number_id_unique" UNIQUE ("phone_number_id")
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"wa_id" text NOT NULL,
	"customer_name" text,
	-- Who answers: the assistant, or staff (assigned_user_id, or any staff member when null).
	"handler" text DEFAULT 'assistant' NOT NULL,
	"assigned_user_id" text,
	"handoff_reason" text,
	-- The customer-service window: 24 hours from the customer's last message.
	"last_inbound_at" timestamp with time zone,
	"last_message_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_message_preview" text DEFAULT '' NOT NULL,
	"unread_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversations_store_wa_id" UNIQUE ("store_id", "wa_id"),
	CONSTRAINT "conversations_handler" CHECK ("handler" IN ('assistant', 'staff')),
	CONSTRAINT "conversations_unread" CHECK ("unread_count" >= 0)
);
--> statement-breakpoint
-- The inbox: unread first, then most recent.
CREATE INDEX "conversations_inbox_idx" ON "conversations" USING btree ("store_id", (("unread_count" > 0)) DESC, "last_message_at" DESC, "id" DESC);
--> statement-breakpoint
CREATE TABLE "conversation_messages" (
	"id" text PRIMARY KEY NOT NULL,
	"store_id" text NOT NULL REFERENCES "stores" ("id") ON DELETE CASCADE,
	"conversation_id" text NOT NULL REFERENCES "conversations" ("id") ON DELETE CASCADE,
	"direction" text NOT NULL,
	-- customer, assistant, staff, or system (order notifications).
	"author" text NOT NULL,
	"author_user_id" text,
	-- Meta's id: the inbound message's (deduplication), or the one the send returned.
	"wamid" text,
	"kind" text NOT NULL,
	"preview" text NOT NULL,
	-- Outbound: the content to send (packages/whatsapp OutboundContent); inbound: what was read.
	"content" jsonb NOT NULL,
	-- inbound: received. outbound: queued → sending → sent → delivered → read, or failed.
	"status" text NOT NULL,
	"status_at" timestamp with time zone DEFAULT now() NOT NULL,
	"error_code" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversation_messages_direction" CHECK ("direction" IN ('in', 'out')),
	CONSTRAINT "conversation_messages_author" CHECK ("author" IN ('customer', 'assistant', 'staff', 'system')),
	CONSTRAINT "conversation_messages_status" CHECK (
		("direction" = 'in' AND "status" = 'received') OR
		("direction" = 'out' AND "status" IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed'))
	)
);
--> statement-breakpoint
-- An inbound wamid is taken once per store: Meta redelivers, and two deliveries can race.
CREATE UNIQUE INDEX "conversation_messages_wamid" ON "conversation_messages" USING btree ("store_id", "wamid") WHERE "wamid" IS NOT NULL;
--> statement-breakpoint
-- Status webhooks carry only the wamid (and the number that sent it).
CREATE INDEX "conversation_messages_wamid_lookup" ON "conversation_messages" USING btree ("wamid") WHERE "wamid" IS NOT NULL AND "direction" = 'out';
--> statement-breakpoint
CREATE INDEX "conversation_messages_thread_idx" ON "conversation_messages" USING btree ("conversation_id", "created_at", "id");
