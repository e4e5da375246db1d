import { z } from "zod";

// What Oja sends on WhatsApp, as Oja thinks of it, and its Cloud API wire form
// (`POST /{version}/{phone-number-id}/messages`). The limits are Meta's: a payload over them is
// refused by the Graph API with error 131009/100, so content is clipped here instead, by code
// point (never in the middle of a surrogate pair), with an ellipsis.

export const LIMITS = {
	textBody: 4096,
	interactiveBody: 1024,
	headerText: 60,
	footerText: 60,
	buttonTitle: 20,
	buttonId: 256,
	buttons: 3,
	listButton: 20,
	listRows: 10,
	rowTitle: 24,
	rowDescription: 72,
	rowId: 200,
	sectionTitle: 24,
	templateParameter: 1024,
} as const;

/** `text` clipped to `max` code points, ending in "…" when it was cut. */
export function clip(text: string, max: number): string {
	const points = Array.from(text);
	if (points.length <= max) return text;
	return `${points.slice(0, Math.max(0, max - 1)).join("")}…`;
}

const lengthWithin = (max: number) =>
	z
		.string()
		.min(1)
		.refine((s) => Array.from(s).length <= max, { message: `At most ${max} characters` });

export const ReplyButton = z.object({ id: lengthWithin(LIMITS.buttonId), title: lengthWithin(LIMITS.buttonTitle) });
export const ListRow = z.object({
	id: lengthWithin(LIMITS.rowId),
	title: lengthWithin(LIMITS.rowTitle),
	description: lengthWithin(LIMITS.rowDescription).optional(),
});

export const OutboundContent = z.discriminatedUnion("type", [
	z.object({ type: z.literal("text"), text: lengthWithin(LIMITS.textBody), previewUrl: z.boolean().optional() }),
	z.object({
		type: z.literal("buttons"),
		body: lengthWithin(LIMITS.interactiveBody),
		header: lengthWithin(LIMITS.headerText).optional(),
		footer: lengthWithin(LIMITS.footerText).optional(),
		buttons: z.array(ReplyButton).min(1).max(LIMITS.buttons),
	}),
	z.object({
		type: z.literal("list"),
		body: lengthWithin(LIMITS.interactiveBody),
		header: lengthWithin(LIMITS.headerText).optional(),
		footer: lengthWithin(LIMITS.footerText).optional(),
		button: lengthWithin(LIMITS.listButton),
		sections: z
			.array(z.object({ title: lengthWithin(LIMITS.sectionTitle), rows: z.array(ListRow).min(1) }))
			.min(1)
			.max(10)
			.refine((sections) => sections.reduce((n, s) => n + s.rows.length, 0) <= LIMITS.listRows, {
				message: `At most ${LIMITS.listRows} rows in all`,
			}),
	}),
	z.object({
		type: z.literal("template"),
		name: z.string().regex(/^[a-z0-9_]{1,512}$/),
		language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/),
		bodyParameters: z.array(lengthWithin(LIMITS.templateParameter)).max(20),
	}),
]);
export type OutboundContent = z.infer<typeof OutboundContent>;

/** Only approved templates may be sent outside the 24-hour customer-service window. */
export function needsOpenWindow(content: OutboundContent): boolean {
	return content.type !== "template";
}

/** A short plain-text rendering, for the inbox and logs of what was sent. */
export function contentPreview(content: OutboundContent): string {
	switch (content.type) {
		case "text":
			return content.text;
		case "buttons":
			return `${content.body}\n${content.buttons.map((b) => `[${b.title}]`).join(" ")}`;
		case "list":
			return `${content.body}\n${content.sections.flatMap((s) => s.rows.map((r) => `• ${r.title}`)).join("\n")}`;
		case "template":
			return `template ${content.name}(${content.bodyParameters.join(", ")})`;
	}
}

/** The Cloud API request body sending `content` to the WhatsApp user `to` (their wa_id). */
export function toGraphMessage(to: string, content: OutboundContent): Record<string, unknown> {
	const base = { messaging_product: "whatsapp", recipient_type: "individual", to };
	const frame = (c: { header?: string | undefined; footer?: string | undefined; body: string }) => ({
		...(c.header ? { header: { type: "text", text: c.header } } : {}),
		body: { text: c.body },
		...(c.footer ? { footer: { text: c.footer } } : {}),
	});
	switch (content.type) {
		case "text":
			return { ...base, type: "text", text: { preview_url: content.previewUrl ?? false, body: content.text } };
		case "buttons":
			return {
				...base,
				type: "interactive",
				interactive: {
					type: "button",
					...frame(content),
					action: { buttons: content.buttons.map((b) => ({ type: "reply", reply: { id: b.id, title: b.title } })) },
				},
			};
		case "list":
			return {
				...base,
				type: "interactive",
				interactive: {
					type: "list",
					...frame(content),
					action: {
						button: content.button,
						sections: content.sections.map((s) => ({
							title: s.title,
							rows: s.rows.map((r) => ({ id: r.id, title: r.title, ...(r.description ? { description: r.description } : {}) })),
						})),
					},
				},
			};
		case "template":
			return {
				...base,
				type: "template",
				template: {
					name: content.name,
					language: { code: content.language },
					components:
						content.bodyParameters.length > 0
							? [{ type: "body", parameters: content.bodyParameters.map((text) => ({ type: "text", text })) }]
							: [],
				},
			};
	}
}
