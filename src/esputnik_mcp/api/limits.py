"""eSputnik's documented size limits (esputnik-api.md §17)."""

MAX_ROWS = 500  # maxrows of every startindex/maxrows search (SPEC: default 500, max 500)
CONTACTS_PER_BULK = 3000  # POST /v1/contacts (SPEC contactsBulkUpdate)
ORDERS_PER_REQUEST = 1000  # POST /v1/orders (SPEC Orders)
SMARTSEND_RECIPIENTS = 1000  # POST /v1/message/{id}/smartsend (DOC smartsend guide)
SEGMENT_IDS_PER_REQUEST = 500  # attach/detach, per list (SPEC ModifyContactsInGroup)
EVENT_BODY_BYTES = 20 * 1024  # POST /v2/event body (SPEC registerEvent_1)
EVENT_TYPE_KEY_LENGTH = 100  # eventTypeKey, eventKeyForNewContacts (SPEC EventDto, ContactsBulkUpdate)
NAME_LENGTH = 40  # firstName / lastName
ORDER_DELETE_WINDOW_HOURS = 24  # DELETE /v1/orders by from/to (DOC removehistoryorders)
ACTIVITY_WINDOW_MONTHS = 3  # GET /v2/contacts/activity dateFrom..dateTo (DOC webhooks-to-follow-up-activities)
ACTIVITY_DEFAULT_ROWS = 25000  # GET /v2/contacts/activity maxrows when not given (SPEC contactActivity; no maximum)
CONTACT_MESSAGES_MAX_ROWS = 100  # GET /v2/contacts/messages maxrows (SPEC contactMessages: default 10, max 100)

# Characters eSputnik forbids in event type keys, eventKeyForNewContacts and subscribe formType
# (SPEC EventDto, SubscribeContact): < ; ’ \ / | " ` ' ^ ? ! , >
FORBIDDEN_KEY_CHARACTERS = frozenset("<;\u2019\\/|\"`'^?!,>")
BILLING_WINDOW_DAYS = 90  # GET /v1/balance/history dateFrom..dateTo (SPEC getOrganisationBalanceHistory: 419 above)
PROMO_CODE_MAX_DISCOUNT = 99  # discount of a promo code, 0-99 (DOC passing-promo-codes-messages)
# POST /v1/promocodes documents no limit on the codes of one request (SPEC insertPromoCodes_1): this
# chunk is the client's own choice, small enough for any request-size limit eSputnik may apply.
PROMO_CODES_PER_REQUEST = 1000
BROADCASTS_DEFAULT_ROWS = 10  # GET /v1/broadcasts maxrows (SPEC findBroadcasts: default 10, max 500)
