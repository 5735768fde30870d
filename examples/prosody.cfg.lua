-- Prosody (0.12) configuration for passerelle: add these lines to
-- /etc/prosody/prosody.cfg.lua (or a file in /etc/prosody/conf.d/), adapt the
-- names, then `systemctl restart prosody`: Prosody 0.12 activates a new
-- Component only at its start (after `prosodyctl reload` the gateway's
-- handshake is still refused as host-unknown). One Component block per
-- [[transport]] of passerelle.toml.

-- The component port passerelle connects to (xmpp.server in
-- passerelle.toml). Keep it on loopback: the secret travels in clear.
component_ports = { 5347 }
component_interfaces = { "127.0.0.1" }

-- The users' host. Optional: mod_privilege (XEP-0356, from the
-- prosody-modules package; Debian: apt install prosody-modules) lets the
-- gateway add its contacts to the users' rosters, show the messages a user
-- sends from their phone in all their XMPP clients (carbons), ask for
-- upload slots in the user's name, and bookmark the user's groups. Without it passerelle still works: contacts
-- come as subscription requests and those messages are shown as from the
-- contact. It speaks urn:xmpp:privilege:2 only.
VirtualHost "localhost"
    modules_enabled = { "privilege" } -- added to the global modules_enabled
    -- One entry per transport domain (a copy of this one for
    -- irc.localhost, ...): a transport not listed gets no privileges.
    privileged_entities = {
        ["echo.localhost"] = {
            roster = "both";      -- read and write the users' rosters
            message = "outgoing"; -- send messages as the users (carbons)
            iq = {
                -- request XEP-0363 upload slots as the users
                ["urn:xmpp:http:upload:0"] = "get";
                -- publish the users' groups to their XEP-0402 bookmarks
                -- (PEP node urn:xmpp:bookmarks:1, autojoin) so their
                -- clients join them; without it each new group comes as
                -- one XEP-0249 invitation instead. "both": reading a
                -- bookmark too, to rename it when its group is renamed
                -- ("set" alone: bookmarks keep the name they were made with)
                ["http://jabber.org/protocol/pubsub"] = "both";
                -- set a bookmarks node an older passerelle made to
                -- XEP-0402's options, without which Prosody refuses the
                -- clients' own bookmarks (and the gateway's)
                ["http://jabber.org/protocol/pubsub#owner"] = "set";
            };
        };
    }

-- One component per transport: the name is [[transport]] domain, and
-- component_secret is its secret (or secret_file / PASSERELLE_SECRET_ECHO).
Component "echo.localhost"
    component_secret = "secret"
    -- Required on the component too when privileged_entities is used: without
    -- it every privileged request from the gateway is refused as forbidden.
    modules_enabled = { "privilege" }

-- Optional: file sharing (XEP-0363) for attachments. The gateway uploads
-- the networks' files as the component itself (not through the privilege
-- above): with http_file_share_access unset, every host of this Prosody may
-- upload, components included; if you set it, list the transport domains.
-- The daily quota counts per uploader, so all users of a transport share
-- one: raise it. Files over the size limit (10 MiB by default) or past the
-- quota are served by passerelle's own endpoint ([media] in passerelle.toml)
-- when it is on. The gateway finds the service in disco#items of the users'
-- host (a subdomain component is listed there), or set media.upload_service.
--Component "upload.localhost" "http_file_share"
--    http_file_share_access = { "localhost", "echo.localhost" }
--    http_file_share_size_limit = 100*1024*1024
--    http_file_share_daily_quota = 10*1024*1024*1024
