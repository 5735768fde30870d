package sdk

// NoAvatarID is the avatar_id of a contact whose picture is gone: a
// Contact's empty avatar_id says nothing (the gateway keeps the picture it
// knew), so a removed picture is told as an ID that changed, to one whose
// UserInfo has no avatar. No network gives a picture this ID. A group's
// removed picture is Chat.no_avatar instead.
const NoAvatarID = "none"
