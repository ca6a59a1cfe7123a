-- The campaigns' tables in the target PostgreSQL database (seed 000), as REFERENCE_DATA.md
-- lays them out. Declared by CampaignsConfig.reference_schema; the dev tooling's
-- ensure_target_schema() runs every kind's script in one transaction, so every statement here
-- is idempotent.

CREATE TABLE IF NOT EXISTS public.players (
    id text PRIMARY KEY,
    display_name text
);

CREATE TABLE IF NOT EXISTS public.player_campaigns (
    player_id text NOT NULL REFERENCES public.players (id),
    campaign_id text NOT NULL,
    role text,
    joined_at timestamptz,
    PRIMARY KEY (player_id, campaign_id)
);
-- The primary key leads with player_id; deletes and counts select by campaign.
CREATE INDEX IF NOT EXISTS player_campaigns_campaign_id ON public.player_campaigns (campaign_id);

CREATE TABLE IF NOT EXISTS public.campaign_sessions (
    id bigserial PRIMARY KEY,
    campaign_id text NOT NULL,
    scheduled_at timestamptz
);
CREATE INDEX IF NOT EXISTS campaign_sessions_campaign_id ON public.campaign_sessions (campaign_id);

-- Deliberately no ON DELETE CASCADE: a session cannot go while its attendance rows remain.
CREATE TABLE IF NOT EXISTS public.session_attendance (
    session_id bigint NOT NULL REFERENCES public.campaign_sessions (id),
    player_id text NOT NULL REFERENCES public.players (id)
);
-- Without it, every deleted session would scan attendance to check the foreign key.
CREATE INDEX IF NOT EXISTS session_attendance_session_id ON public.session_attendance (session_id);
